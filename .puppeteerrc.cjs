// whatsapp-web.js drives Debian's Chromium (channels.whatsapp[].executablePath): npm install must never
// download a browser. puppeteer 19+ reads this file (skipDownload); see docs/whatsapp.md.
/** @type {import("puppeteer").Configuration} */
module.exports = { skipDownload: true };
