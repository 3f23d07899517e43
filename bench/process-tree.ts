/**
 * Resource use of a server under test and all its descendants (an edge's cluster workers, nginx's workers), read
 * from /proc. CPU time per request is steadier than req/s on a shared machine: a slow phase of the host lowers
 * req/s but hardly the CPU a request costs.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

function treePids(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // The process ended while we looked: it has no children left.
    }
  }
  return out;
}

/** Resident memory in bytes. */
export function treeRssBytes(pid: number): number {
  let total = 0;
  for (const p of treePids(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // Ended: holds no memory.
    }
  }
  return total;
}

/** User + system CPU seconds used so far. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of treePids(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Ended: its time is no longer counted here.
    }
  }
  return ticks / CLOCK_TICKS;
}
