// Reads tiles back from a PMTiles archive with the pmtiles npm package (the reference reader), for
// tests/GeoRisk.Api.Tests/TileArchiveTests.cs: node pmtiles-read.mjs ARCHIVE z/x/y ... prints one JSON object:
// the header and, per requested tile, the SHA-256 of its stored bytes (null when the archive has no such tile).
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { PMTiles } from 'pmtiles';

class FileSource {
  constructor(path) { this.path = path; }
  getKey() { return this.path; }
  async getBytes(offset, length) {
    const file = await open(this.path);
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return { data: buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + bytesRead) };
    } finally {
      await file.close();
    }
  }
}

const [archive, ...tiles] = process.argv.slice(2);
const pmtiles = new PMTiles(new FileSource(archive));
const header = await pmtiles.getHeader();
const metadata = await pmtiles.getMetadata();
const hashes = {};
for (const t of tiles) {
  const [z, x, y] = t.split('/').map(Number);
  const tile = await pmtiles.getZxy(z, x, y);
  hashes[t] = tile ? createHash('sha256').update(Buffer.from(tile.data)).digest('hex') : null;
}
console.log(JSON.stringify({ header, metadata, hashes }));
