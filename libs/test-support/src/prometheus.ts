/**
 * A node's /metrics read with the Prometheus project's own parser of the
 * text format (the official Python client's, Debian's python3-prometheus-client),
 * so a test checks what a Prometheus server reads, not what prom-client meant
 * to write.
 */
import { execFileSync } from 'node:child_process';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family as the parser gives it; a counter's family name is without `_total`, its samples keep it. */
export interface PromFamily {
  name: string;
  help: string;
  type: string;
  samples: PromSample[];
}

const PARSE = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    samples = [{'name': s.name, 'labels': s.labels, 'value': s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]
    out.append({'name': f.name, 'help': f.documentation, 'type': f.type, 'samples': samples})
print(json.dumps(out))
`;

export const PROMETHEUS_PARSER_HINT = "the /metrics tests parse with the Prometheus Python client: apt-get install python3-prometheus-client";

/** Parse exposition text; a text the parser refuses throws with its message. */
export function parsePrometheusText(text: string): PromFamily[] {
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', PARSE], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })) as PromFamily[];
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    if (stderr.includes("No module named 'prometheus_client'")) throw new Error(PROMETHEUS_PARSER_HINT);
    throw new Error(`the Prometheus parser refused the text: ${stderr.trim().split('\n').pop() ?? (error as Error).message}`);
  }
}

export class Scrape {
  readonly families: ReadonlyMap<string, PromFamily>;

  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusText(text).map((f) => [f.name, f]));
  }

  /**
   * The sum of the samples named `sample` (e.g. dske_keys_made_total, or a
   * histogram's dske_x_seconds_count) whose labels include `labels`; 0 when
   * none matches (a labelled counter has no sample until it first counts).
   */
  value(sample: string, labels: Record<string, string> = {}): number {
    let total = 0;
    for (const family of this.families.values()) {
      for (const s of family.samples) {
        if (s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value;
      }
    }
    return total;
  }
}

/** GET a node's /metrics (with its mgmt token, if any); a non-200 answer is an error naming its status. */
export async function scrapeMetrics(nodeRoot: string, token?: string): Promise<Scrape> {
  const response = await fetch(`${nodeRoot}/metrics`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${nodeRoot}/metrics answered ${response.status}: ${text}`);
  return new Scrape(text);
}
