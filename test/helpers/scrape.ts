import type { RunningHub } from '@handoff/server';

/** One scrape of `/metrics`: the text, and a sample's value by its series (`name{labels}` as written). */
export async function scrape(hub: RunningHub): Promise<{ text: string; value: (series: string) => number }> {
  const res = await fetch(`${hub.url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  return { text, value };
}
