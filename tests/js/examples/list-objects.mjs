// "List objects that are stored in a bucket underlying your Multi-Region Access Point",
// SDK for JavaScript, verbatim. The page leaves out the imports and the call; SigV4A comes
// from @aws-sdk/signature-v4-crt.
import "@aws-sdk/signature-v4-crt";
import { S3Client, ListObjectsV2Command } from "@aws-sdk/client-s3";

const client = new S3Client({});

async function listObjectsExample() {
  const command = new ListObjectsV2Command({
    Bucket: "arn:aws:s3::123456789012:accesspoint/abcdef0123456.mrap",
  });

  try {
    const response = await client.send(command);
    console.log(response);
  } catch (err) {
    console.error(err);
  }
}

listObjectsExample();
