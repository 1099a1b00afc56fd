// "Update a Multi-Region Access Point route configuration", SDK for JavaScript, verbatim.
// The page leaves out its import; the placeholders are substituted by tests/test_js_sdk.py.
import { S3ControlClient, SubmitMultiRegionAccessPointRoutesCommand } from '@aws-sdk/client-s3-control'

const REGION = 'ap-southeast-2'

const s3ControlClient = new S3ControlClient({ region: REGION })

export const run = async () => {
  try {
    const data = await s3ControlClient.send(
      new SubmitMultiRegionAccessPointRoutesCommand({
        AccountId: '111122223333',
        Mrap: 'arn:aws:s3::111122223333:accesspoint/abcdef0123456.mrap',
        RouteUpdates: [
          {
            Region: 'eu-west-1',
            TrafficDialPercentage: 100,
          },
          {
            Region: 'ca-central-1',
            Bucket: 'DOC-EXAMPLE-BUCKET1',
            TrafficDialPercentage: 0,
          },
        ],
      })
    )
    console.log('Success', data)
    return data
  } catch (err) {
    console.log('Error', err)
  }
}

run()
