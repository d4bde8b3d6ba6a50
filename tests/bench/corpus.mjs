// A deterministic multilingual corpus for encode benchmarks: real-looking
// lines (prose, code, numbers, several scripts) shuffled by a seeded PRNG, so
// every run and every tokenizer sees the same text.

const LINES = [
  'The quick brown fox jumps over the lazy dog while the cat watches from the window.',
  'Large language models are trained on trillions of tokens drawn from the public web.',
  'In 1969, Apollo 11 landed on the Moon; Neil Armstrong stepped out at 02:56 UTC.',
  'def tokenize(text: str) -> list[int]:\n    return [vocab[t] for t in text.split()]',
  'const sum = values.reduce((a, b) => a + b, 0); // total of 1,234.56 items',
  'Die Würde des Menschen ist unantastbar. Sie zu achten ist Verpflichtung aller staatlichen Gewalt.',
  'Le chat noir dort paisiblement sur le canapé pendant que la pluie tombe dehors.',
  'Быстрая коричневая лиса перепрыгивает через ленивую собаку.',
  '東京は日本の首都であり、世界で最も人口の多い都市圏の一つです。',
  '自然语言处理是人工智能的一个重要分支，研究人与计算机之间的交流。',
  'مرحبا بالعالم، هذه جملة عربية لاختبار المقطع.',
  'Emoji test: 🤗 🚀 ✨ 👩‍💻 — and some “smart quotes” and ellipses…',
  '    indented    text   with    irregular     whitespace\tand\ttabs',
  'SELECT id, name FROM users WHERE created_at > NOW() - INTERVAL 7 DAY ORDER BY id;',
  'Once upon a time, in a land far, far away, there lived a curious young engineer.',
];

function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Lines totalling at least `minBytes` UTF-8 bytes. Each line splices words
 * from several source lines, so nearly every line is new: a tokenizer's
 * whole-input cache cannot turn the benchmark into a lookup table.
 */
export function corpus(minBytes = 1 << 20, seed = 42) {
  const next = prng(seed);
  const words = LINES.map((l) => l.split(/(?<= )/));
  const out = [];
  let bytes = 0;
  while (bytes < minBytes) {
    const parts = [];
    const count = 4 + Math.floor(next() * 4);
    for (let i = 0; i < count; i++) {
      const source = words[Math.floor(next() * words.length)];
      const at = Math.floor(next() * source.length);
      parts.push(source.slice(at, at + 1 + Math.floor(next() * 4)).join(''));
    }
    const line = parts.join('');
    out.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return out;
}
