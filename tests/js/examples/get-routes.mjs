// "View your Multi-Region Access Point routing configuration", SDK for JavaScript, verbatim.
// The page leaves out its import; the placeholders are substituted by tests/test_js_sdk.py.
import { S3ControlClient, GetMultiRegionAccessPointRoutesCommand } from '@aws-sdk/client-s3-control'

const REGION = 'us-east-1'

const s3ControlClient = new S3ControlClient({ region: REGION })

export const run = async () => {
  try {
    const data = await s3ControlClient.send(
      new GetMultiRegionAccessPointRoutesCommand({
        AccountId: '111122223333',
        Mrap: 'arn:aws:s3::111122223333:accesspoint/abcdef0123456.mrap',
      })
    )
    console.log('Success', data)
    return data
  } catch (err) {
    console.log('Error', err)
  }
}

run()
