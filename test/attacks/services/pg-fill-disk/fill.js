'use strict';
// Runs before the reference server (package.json start): fills the database's disk with
// uncompressed rows until Postgres refuses, reports how far it got and the error, frees the
// space again, then the reference serves as usual. The database's data lives on a tmpfs of its
// own container, so the fill can only hit that limit: not the host, not another job.
const { Client } = require('pg');

async function main() {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  // A server that went away is seen by the next query; without a listener it would crash the fill.
  db.on('error', () => {});
  await db.connect();
  // Once per job: a restart of the service does not fill again.
  const done = await db.query("SELECT to_regclass('fill_done') IS NOT NULL AS done");
  if (done.rows[0].done) return db.end();
  await db.query('CREATE TABLE IF NOT EXISTS fill (x text)');
  await db.query('ALTER TABLE fill ALTER x SET STORAGE EXTERNAL'); // no compression
  let mb = 0;
  for (;;) {
    try {
      // 1 MB per row; STORAGE EXTERNAL stores it as written, so a cheap repeat fills as much as random text.
      await db.query("INSERT INTO fill SELECT repeat(md5(random()::text), 32768)");
      mb += 1;
    } catch (err) {
      console.log(`FILL stopped after ${mb} MB: ${String(err.message).split('\n')[0]}`);
      break;
    }
    if (mb > 1024) {
      console.log('FILL never stopped');
      break;
    }
  }
  await db.end().catch(() => {});
  // Postgres may have restarted after the disk filled up: reconnect, then free the space.
  for (let i = 0; ; i++) {
    const again = new Client({ connectionString: process.env.DATABASE_URL });
    again.on('error', () => {});
    try {
      await again.connect();
      await again.query('DROP TABLE fill');
      await again.query('CREATE TABLE fill_done ()');
      await again.end();
      console.log('FILL freed');
      return;
    } catch (err) {
      await again.end().catch(() => {});
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

main().catch((err) => {
  console.log(`FILL error ${err.message}`);
});
