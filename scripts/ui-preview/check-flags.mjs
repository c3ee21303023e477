// Checks that every country state.js has a flag for has its picture (ui/flags/<iso>.png, 60x40, the
// size scripts/flags.sh renders) and its source (icons/flags/<iso>.svg), and that there is no other.
// Run: node scripts/ui-preview/check-flags.mjs
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const failures = [];

const state = readFileSync(join(root, 'ui', 'state.js'), 'utf8');
const list = state.match(/const FLAGS = new Set\(\[([^\]]*)\]\)/);
const countries = list ? [...list[1].matchAll(/'([A-Z]{2})'/g)].map((m) => m[1].toLowerCase()) : [];
if (countries.length === 0) failures.push('state.js: no FLAGS set found');

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
for (const iso of countries) {
  const picture = join(root, 'ui', 'flags', `${iso}.png`);
  if (!existsSync(picture)) {
    failures.push(`ui/flags/${iso}.png is missing: run scripts/flags.sh`);
  } else {
    const bytes = readFileSync(picture);
    // The IHDR chunk follows the signature: width and height, big-endian, at bytes 16 and 20.
    if (!bytes.subarray(0, 8).equals(PNG)) failures.push(`ui/flags/${iso}.png is not a PNG`);
    else if (bytes.readUInt32BE(16) !== 60 || bytes.readUInt32BE(20) !== 40) {
      failures.push(`ui/flags/${iso}.png is ${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}, not 60x40: run scripts/flags.sh`);
    }
  }
  if (!existsSync(join(root, 'icons', 'flags', `${iso}.svg`))) failures.push(`icons/flags/${iso}.svg (the source) is missing`);
}
for (const [dir, extension] of [['ui/flags', '.png'], ['icons/flags', '.svg']]) {
  for (const name of readdirSync(join(root, dir))) {
    if (!countries.includes(name.replace(extension, ''))) failures.push(`${dir}/${name} belongs to no country of FLAGS in state.js`);
  }
}

for (const failure of failures) console.log(failure);
console.log(`${countries.length} flags; ${failures.length === 0 ? 1 : 0} passed, ${failures.length === 0 ? 0 : 1} failed`);
process.exit(failures.length === 0 ? 0 : 1);
