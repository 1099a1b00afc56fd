// "Retrieve objects from your Multi-Region Access Point", SDK for JavaScript, verbatim.
// The page leaves out the imports and the call; SigV4A comes from @aws-sdk/signature-v4-crt.
import "@aws-sdk/signature-v4-crt";
import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";

const client = new S3Client({})

async function getObjectExample() {
  const command = new GetObjectCommand({
    Bucket: "arn:aws:s3::123456789012:accesspoint/abcdef0123456.mrap",
    Key: "example.txt"
  });

  try {
    const response = await client.send(command);
    console.log(response);
  } catch (err) {
    console.error(err);
  }
}

getObjectExample();
