// Preloaded by `mrap env` (NODE_OPTIONS=--require): sends Node's HTTPS connections through
// HTTPS_PROXY with CONNECT. The AWS SDK for JavaScript v3 makes its own https.Agent, which
// neither Node < 24.5 nor NODE_USE_ENV_PROXY (global agents only) points at a proxy; patching
// the prototype reaches every agent, the SDK's included. Certificates are still verified
// against the usual roots plus NODE_EXTRA_CA_CERTS.
"use strict";

const https = require("node:https");
const net = require("node:net");
const tls = require("node:tls");

const MAX_HEAD = 16384;

function proxyUrl() {
  const value = process.env.https_proxy || process.env.HTTPS_PROXY;
  if (!value) return null;
  try {
    return new URL(value.includes("://") ? value : `http://${value}`);
  } catch {
    return null;
  }
}

// NO_PROXY as curl reads it: `*`, or names that match a host or one of its parent domains.
function bypassed(host) {
  const list = process.env.no_proxy ?? process.env.NO_PROXY ?? "";
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  return list
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      const suffix = entry.toLowerCase().replace(/^\*?\./, "");
      return suffix === "*" || name === suffix || name.endsWith(`.${suffix}`);
    });
}

function tunnel(proxy, options, callback) {
  const host = options.host || options.hostname || "localhost";
  const port = options.port || 443;
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  const socket = net.connect(Number(proxy.port) || 80, proxy.hostname.replace(/^\[|\]$/g, ""));
  let head = Buffer.alloc(0);
  let done = false;
  const fail = (error) => {
    if (done) return;
    done = true;
    socket.destroy();
    callback(error);
  };
  socket.once("error", fail);
  socket.once("connect", () => {
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) {
      if (head.length > MAX_HEAD) fail(new Error(`proxy ${proxy.host}: response head too long`));
      return;
    }
    socket.removeListener("data", onData);
    const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
    if (!/^HTTP\/1\.[01] 200/.test(status)) {
      fail(new Error(`proxy ${proxy.host} refused CONNECT ${authority}: ${status}`));
      return;
    }
    // Bytes past the head would belong to TLS, which the server only sends after our hello.
    socket.removeListener("error", fail);
    done = true;
    const servername = options.servername || (net.isIP(host) ? undefined : host);
    callback(null, tls.connect({ ...options, socket, servername }));
  };
  socket.on("data", onData);
}

const direct = https.Agent.prototype.createConnection;

https.Agent.prototype.createConnection = function createConnection(options, callback) {
  const proxy = proxyUrl();
  const host = options.host || options.hostname || "localhost";
  if (proxy === null || bypassed(host) || typeof callback !== "function") {
    return direct.call(this, options, callback);
  }
  tunnel(proxy, options, callback);
  return undefined;
};
