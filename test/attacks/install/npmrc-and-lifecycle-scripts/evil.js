require('node:fs').writeFileSync('/workspace/MARKER_NODE_OPTIONS', 'ran');
