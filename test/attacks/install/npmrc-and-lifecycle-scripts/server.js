'use strict';
// Lifecycle scripts and a project .npmrc that re-enables them: none may run during the install.
const fs = require('node:fs');
const http = require('node:http');
const markers = fs.readdirSync('/workspace').filter((n) => n.startsWith('MARKER_'));
console.log(`MARKERS ${markers.length ? markers.join(',') : 'none'}`);
console.log(`DEP is-number ${fs.existsSync('node_modules/is-number/package.json') ? 'present' : 'absent'}`);
http.createServer((req, res) => { res.writeHead(req.url === '/health' ? 200 : 404); res.end(); }).listen(Number(process.env.PORT) || 8080);
