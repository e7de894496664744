#!/usr/bin/env bash
# Debian packages the tests and reports use.  Installs only what is missing; needs root
# (or sudo).  Without them the tests that need them are skipped and say why.
set -u
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v openssl >/dev/null 2>&1 || need+=(openssl)                        # the tests' HTTPS certificates
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)  # docs/proxy/nginx.conf, tested
command -v caddy >/dev/null 2>&1 || need+=(caddy)                            # docs/proxy/Caddyfile, tested
fc-list 2>/dev/null | grep -q "Noto Sans CJK" || need+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -q "Noto Color Emoji" || need+=(fonts-noto-color-emoji)   # emoji typed into notes print
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "次のパッケージが必要です（root で apt-get install してください）: ${need[*]}" >&2
  exit 0
fi
echo "Installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
