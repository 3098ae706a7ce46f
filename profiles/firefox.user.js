// torgate's Firefox preferences (profiles/firefox.conf puts this file in
// the private home's Firefox profile, read-only, and points Firefox at
// that profile). Firefox reads user.js at every start; these are the
// settings a browser whose only network is Tor needs.

// .onion names are refused by default (RFC 7686); under torgate they reach
// the stub, and the stream reaches the onion service through Tor.
user_pref("network.dns.blockDotOnion", false);

// DNS over HTTPS would take names past the stub to a resolver of
// Mozilla's choosing (through Tor, but one more party): off, by choice.
user_pref("network.trr.mode", 5);

// HTTP/3 is QUIC over UDP, which torgate refuses: do not try it first.
user_pref("network.http.http3.enable", false);

// Background connections that only add streams (and tell sites and
// Mozilla that this browser is running): captive-portal and connectivity
// checks, prefetching and speculative connections, telemetry and studies,
// Safe Browsing lookups, add-on metadata, sponsored content.
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.prefetch-next", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.predictor.enabled", false);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("browser.urlbar.speculativeConnect.enabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("toolkit.telemetry.archive.enabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("app.normandy.enabled", false);
user_pref("app.shield.optoutstudies.enabled", false);
user_pref("browser.ping-centre.telemetry", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.downloads.remote.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("browser.newtabpage.activity-stream.feeds.topsites", false);
user_pref("browser.newtabpage.activity-stream.feeds.section.topstories", false);
user_pref("browser.newtabpage.activity-stream.showSponsored", false);
user_pref("browser.newtabpage.activity-stream.showSponsoredTopSites", false);

// The first-run pages and the default-browser question.
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("startup.homepage_welcome_url", "");
user_pref("datareporting.policy.firstRunURL", "");
