#!/bin/sh
# On a tag vX.Y.Z: the GitHub release of this pipeline's archives and
# SHA256SUMS (the files the dev orb pinned and the integration jobs
# installed), then a check that what users download from the orb's URL is
# those very bytes. Only then may the production orb be published.
#
# Needs GITHUB_TOKEN (aws-oidc-release context), allowed to write releases.
set -eu

release=/tmp/aws-oidc-release

die() {
  printf 'github-release: %s\n' "$*" >&2
  exit 1
}

lower() {
  printf '%s' "$1" | tr '[:upper:]' '[:lower:]'
}

version=$(tools/dist.sh version)
[ "${CIRCLE_TAG:-}" = "v$version" ] ||
  die "tag '${CIRCLE_TAG:-}' does not name this version: Cargo.toml says $version, so the tag must be v$version"
[ -n "${GITHUB_TOKEN:-}" ] || die "GITHUB_TOKEN is not set: run this job with the aws-oidc-release context"

# The orb downloads from <repository>/releases/download/v<version>/ (a test
# holds the orb's default download_url to Cargo.toml's repository).
repository=$(sed -n 's/^repository = "\(.*\)"/\1/p' Cargo.toml | head -n1)
slug=${repository#https://github.com/}
project="${CIRCLE_PROJECT_USERNAME:-}/${CIRCLE_PROJECT_REPONAME:-}"
[ "$(lower "$slug")" = "$(lower "$project")" ] ||
  die "Cargo.toml's repository is $repository but this project is $project: the orb would download from elsewhere"

if ! command -v gh >/dev/null 2>&1; then
  sudo apt-get update -qq
  sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gh >/dev/null
fi

cd "$release"
set --
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  set -- "$@" "aws-oidc-$version-$target.tar.zst" "aws-oidc-$version-$target.tar.gz"
done
set -- "$@" SHA256SUMS
for file; do
  [ -f "$file" ] || die "$file is missing from this pipeline's release"
done
sha256sum -c SHA256SUMS

notes=$(mktemp)
{
  echo "aws-oidc $version: static Linux binaries for x86_64 and arm64 (musl), each as .tar.zst and .tar.gz (the same tar)."
  echo
  echo "The aws-oidc orb $version pins these SHA-256 sums and checks every download against them."
  echo "To check a download by hand, in its directory: \`sha256sum --check --ignore-missing SHA256SUMS\`."
  echo
  echo '```'
  cat SHA256SUMS
  echo '```'
} >"$notes"

if gh release view "$CIRCLE_TAG" --repo "$slug" >/dev/null 2>&1; then
  echo "The release $CIRCLE_TAG exists (a rerun): checking its files instead of creating it."
else
  gh release create "$CIRCLE_TAG" --repo "$slug" --title "aws-oidc $version" --notes-file "$notes" "$@"
fi

# What a user's job downloads, anonymously, from the URL the orb uses.
downloaded=$(mktemp -d)
for file; do
  curl -fsSL --retry 5 --retry-delay 3 -o "$downloaded/$file" "$repository/releases/download/$CIRCLE_TAG/$file" ||
    die "cannot download $file from the release $CIRCLE_TAG"
done
cmp SHA256SUMS "$downloaded/SHA256SUMS" ||
  die "the release's SHA256SUMS is not this pipeline's: do not publish the orb; delete the release and rerun"
(cd "$downloaded" && sha256sum -c SHA256SUMS) ||
  die "the release's archives are not the ones this pipeline tested: do not publish the orb; delete the release and rerun"
echo "Released aws-oidc $version: $repository/releases/tag/$CIRCLE_TAG"
