// Chromium as the browser journeys start it: the system's binary (or
// $CHROMIUM), headless, without the background traffic of a fresh profile,
// and one context per person so that no cookie crosses between them.
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    // playwright-core gives every launch a fresh temporary --user-data-dir.
    headless: true,
  });
}

export async function newPersonPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}
