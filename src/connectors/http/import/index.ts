export { importCurl, MAX_CURL_COMMAND, type CurlImport } from './curl.js';
export { importOpenApi, MAX_OPENAPI_BYTES, OpenApiInput, type OpenApiAnswer, type OpenApiProposal, type OperationSummary } from './openapi.js';
