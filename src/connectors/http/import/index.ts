export { importCurl, MAX_CURL_COMMAND, type CurlImport } from './curl.js';
