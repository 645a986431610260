/**
 * Headless Chromium for tests and benchmarks: Debian's `chromium` package (hack/install.sh
 * installs it) driven by puppeteer-core, which never downloads a browser of its own.
 * SWARMOP_CHROMIUM overrides the binary. `--no-sandbox` because tests run as root, where
 * Chromium's sandbox refuses to start.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

export function chromiumPath(): string {
  const path = process.env['SWARMOP_CHROMIUM'] ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`no Chromium at ${path}: run hack/install.sh (Debian package chromium) or set SWARMOP_CHROMIUM`);
  return path;
}

export async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
}
