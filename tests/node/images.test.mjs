// Images of built tokenizers (node/images.cjs): kept in the disk cache by
// a load the cache alone serves, restored by later loads instead of a build,
// and never trusted when they do not check out or were made under another
// user's key. Through the packed package, in fresh processes, against the
// Hub emulator. (Each child gets a HOME of its own, so each test points
// XDG_CONFIG_HOME at a folder of its own: its user's key.)
//
// How a test knows an image was used: it turns tokenizer.json's blob into
// junk of the same size and modification time (an image is not used once
// its files change: that is checked by size and time) and removes the
// pre-parsed form, so that only the image can still give the right ids.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load, runScript } from './support/consumer.mjs';
import { harness } from './support/harness.mjs';
import { useHub, GATED, PUBLIC, LLAMA_HELLO, TOKENS } from './support/hub.mjs';

const local = useHub();
const newHome = () => mkdtempSync(path.join(tmpdir(), 'hubguard-images-'));
const repoDir = (home, repo) => path.join(home, 'hub', `models--${repo.replace('/', '--')}`);
const kept = (home, commit, suffix) => path.join(repoDir(home, PUBLIC), '.hubguard', commit, `tokenizer.json${suffix}`);

/** Runs `fn` while only the image can give `PUBLIC`'s tokenizer at `commit`. */
async function withOnlyTheImage(home, commit, fn) {
  const snapshot = path.join(repoDir(home, PUBLIC), 'snapshots', commit, 'tokenizer.json');
  const blob = path.resolve(path.dirname(snapshot), readlinkSync(snapshot));
  const original = readFileSync(blob);
  // To the nanosecond as far as a double allows (a Date would round to the millisecond).
  const { atimeNs, mtimeNs } = statSync(blob, { bigint: true });
  const [atime, mtime] = [atimeNs, mtimeNs].map((ns) => Number(ns) / 1e9);
  const form = kept(home, commit, '.pre-parsed');
  const formBytes = readFileSync(form);
  writeFileSync(blob, Buffer.alloc(original.length, 'x'));
  utimesSync(blob, atime, mtime);
  rmSync(form);
  try {
    return await fn();
  } finally {
    writeFileSync(blob, original);
    utimesSync(blob, atime, mtime);
    writeFileSync(form, formBytes);
  }
}

/** A cache where PUBLIC was loaded twice: fetched, then built from the cache with its image kept. */
async function cacheWithImage() {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url, XDG_CONFIG_HOME: newHome() };
  const commit = local.hub.commitOf(PUBLIC);
  assert.deepEqual((await load(PUBLIC, { env })).ids, LLAMA_HELLO);
  assert.ok(!existsSync(kept(home, commit, '.image')), 'a load that fetched keeps no image');
  assert.deepEqual((await load(PUBLIC, { env })).ids, LLAMA_HELLO);
  assert.ok(existsSync(kept(home, commit, '.image')), 'kept by the load the cache served');
  return { home, env, commit };
}

test('a load the cache serves keeps an image of the built tokenizer, and the next load restores it', async () => {
  const { home, env, commit } = await cacheWithImage();
  const text = 'Images keep the built tokenizer: ünïcödé, 数字 12345, and emoji 🤗.';
  const built = await load(PUBLIC, { env, text });
  await withOnlyTheImage(home, commit, async () => {
    const restored = await load(PUBLIC, { env, text });
    assert.equal(restored.ok, true, restored.message);
    assert.deepEqual(restored.ids, built.ids);
  });
});

test('a restored tokenizer keeps its config, special tokens and decoding', async () => {
  const { home, env, commit } = await cacheWithImage();
  const source = `
    import { AutoTokenizer } from 'hubguard';
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const ids = t.encode('Hello world!');
    t.padding_side = 'left';
    const batch = t(['a', 'a longer line'], { padding: true });
    console.log(JSON.stringify({ ids, decoded: t.decode(ids), bos: t.bos_token, max: t.model_max_length,
      batch: batch.input_ids.tolist ? batch.input_ids.tolist() : batch.input_ids, side: t.padding_side }));`;
  const built = await runScript(source, { env });
  assert.equal(built.code, 0, built.stderr);
  await withOnlyTheImage(home, commit, async () => {
    const restored = await runScript(source, { env });
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(JSON.parse(restored.stdout), JSON.parse(built.stdout));
  });
});

test('offline and with a commit hash, the image is used and nothing is asked of the Hub', async () => {
  const { home, env, commit } = await cacheWithImage();
  await withOnlyTheImage(home, commit, async () => {
    local.hub.hubLog.length = 0;
    const offline = await load(PUBLIC, { env: { ...env, HF_HUB_OFFLINE: '1' } });
    assert.deepEqual(offline.ids, LLAMA_HELLO, offline.message);
    const pinned = await load(PUBLIC, { env, options: { revision: commit } });
    assert.deepEqual(pinned.ids, LLAMA_HELLO, pinned.message);
    assert.equal(local.hub.hubLog.length, 0);
  });
});

test('an image that does not check out is not used: the tokenizer is built again and a sound image kept', async () => {
  const { home, env, commit } = await cacheWithImage();
  const image = kept(home, commit, '.image');
  const sound = readFileSync(image);
  const headerEnd = 12 + sound.readUInt32LE(8);
  const damages = {
    'a flipped byte in a page': (b) => {
      b[b.length - 100] ^= 0x01;
      return b;
    },
    'another build of the package': (b) => {
      const at = b.indexOf('"build":"') + 9;
      b[at] = b[at] === 0x30 ? 0x31 : 0x30;
      return b;
    },
    'a cut-off file': (b) => b.subarray(0, b.length - 65536),
    'a header edited to another repo': (b) => {
      const at = b.indexOf('"repo":"') + 8;
      b[at] = b[at] === 0x61 ? 0x62 : 0x61;
      return b;
    },
    'a header that is not JSON': (b) => {
      b[headerEnd - 1] = 0x20;
      return b;
    },
  };
  for (const [what, damage] of Object.entries(damages)) {
    const damaged = damage(Buffer.from(sound));
    writeFileSync(image, damaged);
    const r = await load(PUBLIC, { env });
    assert.deepEqual(r.ids, LLAMA_HELLO, `${what}: ${r.message}`);
    assert.notDeepEqual(readFileSync(image), damaged, `${what}: the image was kept again`);
    await withOnlyTheImage(home, commit, async () => {
      const again = await load(PUBLIC, { env });
      assert.deepEqual(again.ids, LLAMA_HELLO, `${what}: the new image is sound: ${again.message}`);
    });
  }
});

test('a branch that moved is loaded at its new commit, not from the old image', async () => {
  const { env } = await cacheWithImage();
  const config = JSON.parse(local.hub.readFile(PUBLIC, 'tokenizer_config.json'));
  local.hub.commit(PUBLIC, { 'tokenizer_config.json': JSON.stringify({ ...config, model_max_length: 1234 }) });
  const source = `
    import { AutoTokenizer } from 'hubguard';
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    console.log(JSON.stringify({ ids: t.encode('Hello world!'), max: t.model_max_length }));`;
  const moved = await runScript(source, { env });
  assert.equal(moved.code, 0, moved.stderr);
  assert.deepEqual(JSON.parse(moved.stdout), { ids: LLAMA_HELLO, max: 1234 });
});

test('env.tokenizerImages = false neither keeps nor restores images', async () => {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url, XDG_CONFIG_HOME: newHome() };
  const commit = local.hub.commitOf(PUBLIC);
  const before = "const { env: settings } = await import('hubguard'); settings.tokenizerImages = false;";
  for (let i = 0; i < 2; i++) assert.deepEqual((await load(PUBLIC, { env, before })).ids, LLAMA_HELLO);
  assert.ok(!existsSync(kept(home, commit, '.image')));
  // An image kept by another process is not read either.
  assert.deepEqual((await load(PUBLIC, { env })).ids, LLAMA_HELLO);
  assert.ok(existsSync(kept(home, commit, '.image')));
  await withOnlyTheImage(home, commit, async () => {
    const r = await load(PUBLIC, { env, before });
    assert.equal(r.code, 'INVALID_TOKENIZER', r.message);
  });
});

test('an image made under another key (another user, a cache restored from elsewhere) is not used', async () => {
  const { home, env, commit } = await cacheWithImage();
  const elsewhere = { ...env, XDG_CONFIG_HOME: newHome() };
  // Under the other key, this user's image is not used: built again, and kept under that key.
  const image = kept(home, commit, '.image');
  const ours = readFileSync(image);
  assert.deepEqual((await load(PUBLIC, { env: elsewhere })).ids, LLAMA_HELLO);
  assert.notDeepEqual(readFileSync(image), ours);
  assert.ok(existsSync(path.join(elsewhere.XDG_CONFIG_HOME, 'hubguard', 'image-key')));
  // And back under this user's key, that image is not used either.
  await withOnlyTheImage(home, commit, async () => {
    const r = await load(PUBLIC, { env });
    assert.equal(r.code, 'INVALID_TOKENIZER', r.message);
  });
});

test('a restored tokenizer that traps is TOKENIZER_CRASHED; other tokenizers and later loads keep working', async () => {
  const { home, env, commit } = await cacheWithImage();
  const repo = JSON.stringify(PUBLIC);
  const source = `${harness({ images: true })}
    const other = await AutoTokenizer.from_pretrained(${repo});
    const restored = await AutoTokenizer.from_pretrained(${repo});
    trap(glues.at(-1)); // the last instance made is the restored one
    results.restored = await attempt(() => restored.encode('Hello world!'));
    results.other = await attempt(() => other.encode('Hello world!'));
    const later = await AutoTokenizer.from_pretrained(${repo});
    results.later = await attempt(() => later.encode('Hello world!'));
    await new Promise((r) => setTimeout(r, 50));
    results.escaped = escaped;
    console.log(JSON.stringify(results));`;
  await withOnlyTheImage(home, commit, async () => {
    const child = await runScript(source, { env });
    assert.equal(child.code, 0, child.stderr);
    const r = JSON.parse(child.stdout.trim().split('\n').pop());
    assert.equal(r.restored.code, 'TOKENIZER_CRASHED', r.restored.message);
    assert.equal(r.restored.repoId, PUBLIC);
    assert.deepEqual(r.other.value, LLAMA_HELLO);
    assert.deepEqual(r.later.value, LLAMA_HELLO);
    assert.deepEqual(r.escaped, []);
  });
});

test("a sound image of another commit is not used for this one", async () => {
  const { home, env, commit: first } = await cacheWithImage();
  const config = JSON.parse(local.hub.readFile(PUBLIC, 'tokenizer_config.json'));
  const second = local.hub.commit(PUBLIC, { 'tokenizer_config.json': JSON.stringify({ ...config, model_max_length: 4321 }) });
  assert.deepEqual((await load(PUBLIC, { env })).ids, LLAMA_HELLO); // the branch moved: built at its new commit
  // This user's own image, MAC and all, of the first commit, where the second's goes.
  const image = kept(home, second, '.image');
  rmSync(image, { force: true });
  copyFileSync(kept(home, first, '.image'), image);
  await withOnlyTheImage(home, second, async () => {
    const r = await load(PUBLIC, { env });
    assert.equal(r.code, 'INVALID_TOKENIZER', r.message);
  });
});

test('an image holds no token', async () => {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url, XDG_CONFIG_HOME: newHome(), HF_TOKEN: TOKENS.accepted };
  for (let i = 0; i < 2; i++) assert.deepEqual((await load(GATED, { env })).ids, LLAMA_HELLO);
  const commit = local.hub.commitOf(GATED);
  const image = path.join(repoDir(home, GATED), '.hubguard', commit, 'tokenizer.json.image');
  const bytes = readFileSync(image);
  assert.ok(bytes.length > 1e6, 'an image was kept');
  for (const form of [TOKENS.accepted, Buffer.from(TOKENS.accepted, 'utf16le')]) {
    assert.equal(bytes.includes(form), false);
  }
});

test('an image is not used once a cached file it was built from changes', async () => {
  const { home, env, commit } = await cacheWithImage();
  // tokenizer_config.json edited in the cache: the restored tokenizer would be stale.
  const snapshot = path.join(repoDir(home, PUBLIC), 'snapshots', commit, 'tokenizer_config.json');
  const blob = path.resolve(path.dirname(snapshot), readlinkSync(snapshot));
  const config = JSON.parse(readFileSync(blob, 'utf8'));
  writeFileSync(blob, JSON.stringify({ ...config, model_max_length: 777 }));
  const source = `
    import { AutoTokenizer } from 'hubguard';
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}, { local_files_only: true });
    console.log(JSON.stringify({ ids: t.encode('Hello world!'), max: t.model_max_length }));`;
  const edited = await runScript(source, { env });
  assert.equal(edited.code, 0, edited.stderr);
  assert.deepEqual(JSON.parse(edited.stdout), { ids: LLAMA_HELLO, max: 777 });
});
