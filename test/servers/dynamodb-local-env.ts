// setupFiles of the `dynamodb-local` project: point every DynamoDB client of the suite at the
// DynamoDB Local the globalSetup started (see test/helpers/dynamo.ts).
const endpoint = process.env.SHADOWSCALE_TEST_DYNAMODB_LOCAL;
if (!endpoint)
  throw new Error(
    'SHADOWSCALE_TEST_DYNAMODB_LOCAL is not set: run through jest --selectProjects dynamodb-local',
  );
process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
process.env.SHADOWSCALE_TEST_DYNAMODB_BACKEND = 'dynamodb-local';
