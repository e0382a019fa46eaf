// Tests never talk to a real AWS account: fixed fake credentials and region unless the caller
// points the suite at another endpoint on purpose (AWS_ENDPOINT_URL, see CONTRIBUTING.md).
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'Shadowscale';
process.env.POWERTOOLS_SERVICE_NAME ??= 'shadowscale-test';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
