import { VERSION } from '../version.js';

/** The page at `/` while web/dist does not exist: says the server runs, how to build the web app, and where the API is. */
export const placeholderPage = (): string => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sluice</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #1f2933; line-height: 1.5; }
    code { background: #f0f4f8; padding: 0.1rem 0.3rem; border-radius: 3px; }
    a { color: #0b69a3; }
  </style>
</head>
<body>
  <h1>Sluice is running</h1>
  <p>Version ${VERSION}. The web app is not built yet: run <code>npm run build</code> (or <code>npm start</code>, which builds it when missing) and reload this page. Meanwhile everything is available through the API.</p>
  <ul>
    <li><a href="/api/docs">API documentation</a> (try <code>POST /api/auth/login</code> with the admin email and password printed at start)</li>
    <li><a href="/api/health">Health</a></li>
    <li><a href="/api/openapi.json">OpenAPI document</a></li>
  </ul>
</body>
</html>
`;
