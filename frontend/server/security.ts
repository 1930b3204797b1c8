/**
 * Security headers of every response the server makes itself (proxied API responses keep the
 * backend's own headers). The CSP allows no inline script or style: Vite emits only external
 * files, and the runtime configuration is fetched as JSON instead of being inlined into the page.
 */
export function contentSecurityPolicy(apiBaseUrl: string): string {
  const connect = ["'self'"];
  if (/^https?:\/\//i.test(apiBaseUrl)) connect.push(new URL(apiBaseUrl).origin);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(apiBaseUrl: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(apiBaseUrl),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}
