"""The web console: server-rendered pages that call the gateway's own APIs as the signed-in user.

It holds no privileges of its own: every action is a signed request to the gateway's S3 port,
made with the credentials the user signed in with, so the gateway authorizes it exactly as it
would the same call from any other client.
"""
