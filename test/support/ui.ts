import { chromium, type Browser, type Page } from 'playwright-core';
import type { LocalStack } from '../../local/stack';

/** Debian's Chromium, headless, with background networking off (the machine has no outside network). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Logs in through the auth manager's login form, as a user would. */
export async function loginUi(page: Page, stack: LocalStack): Promise<void> {
  await page.goto(`${stack.apiUrl}/`);
  await page.locator('input[name="username"]').fill(stack.adminUser);
  await page.locator('input[name="password"]').fill(stack.secrets.adminPassword);
  await page.locator('input[type="submit"], button[type="submit"]').first().click();
}
