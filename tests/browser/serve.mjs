// `make www`: the local Hub, the proxy and the demo page, until Ctrl-C.
import { startStack } from './stack.mjs';

const stack = await startStack({ pagePort: Number(process.env.PORT ?? 5173) });
console.log(`Local Hub:      ${stack.hub.url}`);
console.log(`hubguard proxy: ${stack.proxy.url} (holds the token; the page never does)`);
console.log(`Open the page:  ${stack.pageUrl}`);
console.log(`Embeddings:     ${stack.embeddingsUrl}`);
const stop = () => stack.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
