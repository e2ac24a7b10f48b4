/** Tick colours by brightness level (1..5): the hub's lane, then the devices'. */
const LEVELS = 5;
const rgba = (r: number, g: number, b: number, a: number) => ((Math.round(a * 255) << 24) | (b << 16) | (g << 8) | r) >>> 0;
const HUB = Array.from({ length: LEVELS }, (_, i) => rgba(199, 155, 255, 0.35 + (i + 1) * 0.13));
const DEVICE = Array.from({ length: LEVELS }, (_, i) => rgba(126, 226, 168, 0.35 + (i + 1) * 0.13));
const LINK = rgba(92, 200, 255, 0.18);

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/**
 * The timeline's lanes as one bitmap: per pixel column, each lane's tick (brighter where denser)
 * and a faint vertical line where a message crossed between the hub and the lane. Written into
 * pixels and drawn once, instead of a rectangle and a line per column: the live timeline redraws
 * several times a second, and thousands of path segments were its largest cost.
 *
 * `density[lane][col]` counts events, `links[col * lanes + lane]` marks messages; lane `i`'s row
 * spans `rowH` pixels from `top + i * rowH`.
 */
export function drawBands(
  g: Context2D,
  x: number,
  top: number,
  rowH: number,
  cols: number,
  density: readonly Uint16Array[],
  links: Uint8Array,
): void {
  const lanes = density.length;
  const height = lanes * rowH;
  if (cols <= 0 || height <= 0 || typeof OffscreenCanvas === 'undefined') return;
  const image = new ImageData(cols, height);
  const px = new Uint32Array(image.data.buffer);
  const hubMid = Math.floor(rowH / 2);
  for (let li = 1; li < lanes; li++) {
    const mid = li * rowH + hubMid;
    for (let c = 0; c < cols; c++) {
      if (!links[c * lanes + li]) continue;
      for (let y = hubMid; y <= mid; y++) px[y * cols + c] = LINK;
    }
  }
  for (let li = 0; li < lanes; li++) {
    const row = density[li]!;
    const colors = li === 0 ? HUB : DEVICE;
    const y0 = li * rowH + 2;
    const y1 = (li + 1) * rowH - 2;
    for (let c = 0; c < cols; c++) {
      const n = row[c]!;
      if (!n) continue;
      const color = colors[Math.min(LEVELS, n) - 1]!;
      for (let y = y0; y < y1; y++) px[y * cols + c] = color;
    }
  }
  const bitmap = new OffscreenCanvas(cols, height);
  bitmap.getContext('2d')?.putImageData(image, 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(bitmap, x, top);
}
