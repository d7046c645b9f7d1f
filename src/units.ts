/** Bytes in decimal (SI) units: the value scaled below 1000 and its unit (B, kB, MB, GB, TB, PB). */
export function scaleBytes(bytes: number): { value: number; unit: string } {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return { value, unit: units[i]! };
}
