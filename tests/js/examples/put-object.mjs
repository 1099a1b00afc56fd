// "Add an object to a bucket in your Multi-Region Access Point", SDK for JavaScript, verbatim.
// The page leaves out the imports and the call; SigV4A comes from @aws-sdk/signature-v4-crt.
import "@aws-sdk/signature-v4-crt";
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";

const client = new S3Client({});

async function putObjectExample() {
  const command = new PutObjectCommand({
    Bucket: "arn:aws:s3::123456789012:accesspoint/abcdef0123456.mrap",
    Key: "example.txt",
    Body: "Hello S3!",
  });

  try {
    const response = await client.send(command);
    console.log(response);
  } catch (err) {
    console.error(err);
  }
}

putObjectExample();
