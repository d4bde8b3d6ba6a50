// ESM entry for Node: the same module instance as `require('hubguard')`.
import hubguard from './index.cjs';

export const {
  AutoTokenizer,
  PreTrainedTokenizer,
  HubError,
  env,
  createHubProxy,
  toNodeHandler,
  downloadFile,
  snapshotDownload,
  fileExists,
  modelInfo,
  whoami,
  hubFetch,
  createHubFetch,
  configureTransformers,
} = hubguard;
