// The faces of the page's text on Linux, shipped with the app in ui/fonts (SIL OFL 1.1, see
// ui/fonts/OFL.txt): Arimo, the design of Liberation Sans 2, and Cousine, of Liberation Mono 2.
//
// Why ship them: WebKitGTK asks for a system font once per font description (family, weight, size),
// and each ask goes through fontconfig's substitutions, a hundred-odd family names tested in turn.
// A face the page holds as data is parsed once and serves every size and weight without asking.
//
// Why from bytes (a fetch of our own rather than an @font-face rule): a FontFace built from an
// ArrayBuffer is usable as soon as it is added, while an @font-face rule starts loading when the
// first text needs it, so the page would be laid out with a fallback font and again once the face
// arrived.
//
// Characters outside the Latin subset (and the few it lacks, such as U+202F) come from the next
// families of the stack in styles.css, the system's fonts, as before.

const LATIN = 'U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,'
  + 'U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD';

const FACES = [
  { family: 'Arimo', file: 'arimo-latin-400-normal.woff2', weight: '400' },
  { family: 'Arimo', file: 'arimo-latin-700-normal.woff2', weight: '700' },
  { family: 'Cousine', file: 'cousine-latin-400-normal.woff2', weight: '400' },
];

async function fetchBytes(file) {
  const response = await fetch(new URL(`./fonts/${file}`, import.meta.url));
  if (!response.ok) throw new Error(`${file}: ${response.status}`);
  return response.arrayBuffer();
}

async function addFace({ family, file, weight }) {
  const bytes = await fetchBytes(file);
  const face = new FontFace(family, bytes, { weight, unicodeRange: LATIN });
  document.fonts.add(face);
  // Built from bytes the face is loaded already; this only surfaces a file WebKit could not parse.
  await face.loaded;
}

/**
 * Adds the shipped faces to the page. Resolves once they are usable, or once one failed: the text
 * then comes from the system fonts next in the stack, as it would without them.
 */
export function addShippedFaces() {
  return Promise.all(FACES.map(addFace)).then(() => true, () => false);
}
