// The bench's upstream in its own process (as in a deployment): the SDK test upstream in JSON
// response mode on 127.0.0.1, its URL printed as one line; runs until SIGTERM.
import { startSdkUpstream } from '../../test/fixtures/sdk-upstream.ts';

const up = await startSdkUpstream({ json: true });
process.stdout.write(`${JSON.stringify({ url: up.url })}\n`);
process.once('SIGTERM', () => void up.close().then(() => process.exit(0)));
