export { detectConnection, DetectInput, DETECT_MAX_REQUESTS, DETECT_PAGES, type ConnectionProposal, type DetectQuestion, type DetectResult } from './detect.js';
export { Confidence, FindingSchema, type Finding } from './finding.js';
