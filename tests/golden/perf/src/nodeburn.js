// A Node.js CPU burner for `node --perf-basic-prof` captures: JIT frames
// named through /tmp/perf-PID.map, with a recursive function and a class.
// Usage: node --perf-basic-prof nodeburn.js [SECONDS]
'use strict';
const seconds = Number(process.argv[2] || 2);

function fibRecursive(n) { return n < 2 ? n : fibRecursive(n - 1) + fibRecursive(n - 2); }

class Hasher {
  digest(s) {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }
}

function busyLoop() {
  const hasher = new Hasher();
  const end = Date.now() + seconds * 1000;
  let acc = 0;
  while (Date.now() < end) {
    acc += fibRecursive(20);
    acc += hasher.digest('flamekit-' + acc);
  }
  return acc;
}

console.log(busyLoop());
