#!/bin/sh
# On a tag vX.Y.Z: the GitHub release of this pipeline's archives and
# SHA256SUMS (the files the dev orb pinned and the integration jobs
# installed), then a check that what users download from the orb's URL is
# those very bytes. Only then may the production orb be published.
#
# The release is made as a draft, filled, checked and published last, so a
# run that stops half-way leaves a draft that nobody can download and no orb
# pins. A rerun takes such a draft over: it replaces the draft's files with
# this pipeline's and finishes it. A published release is never changed: a
# rerun checks that it holds this pipeline's files, and if it does not, stops
# and says what to do.
#
# Needs GITHUB_TOKEN (aws-oidc-release context), allowed to write releases,
# and curl, jq and sha256sum (cimg/base has them). GITHUB_API_URL,
# GITHUB_SERVER_URL and AWS_OIDC_RELEASE_DIR point it elsewhere for the tests.
set -eu

release=${AWS_OIDC_RELEASE_DIR:-/tmp/aws-oidc-release}
api_url=${GITHUB_API_URL:-https://api.github.com}
server_url=${GITHUB_SERVER_URL:-https://github.com}
orb=aws-oidc/aws-oidc

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
tag=$CIRCLE_TAG
[ -n "${GITHUB_TOKEN:-}" ] || die "GITHUB_TOKEN is not set: run this job with the aws-oidc-release context"
for tool in curl jq sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed: run this job on cimg/base, which has it"
done

# The orb downloads from <repository>/releases/download/v<version>/ (a test
# holds the orb's default download_url to Cargo.toml's repository).
repository=$(sed -n 's/^repository = "\(.*\)"/\1/p' Cargo.toml | head -n1)
slug=${repository#https://github.com/}
project="${CIRCLE_PROJECT_USERNAME:-}/${CIRCLE_PROJECT_REPONAME:-}"
[ "$(lower "$slug")" = "$(lower "$project")" ] ||
  die "Cargo.toml's repository is $repository but this project is $project: the orb would download from elsewhere"
releases_page="$server_url/$slug/releases"

cd "$release"
set --
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl \
  aarch64-apple-darwin x86_64-apple-darwin x86_64-pc-windows-gnu; do
  set -- "$@" "aws-oidc-$version-$target.tar.zst" "aws-oidc-$version-$target.tar.gz"
done
set -- "$@" SHA256SUMS
for file; do
  [ -f "$file" ] || die "$file is missing from this pipeline's release"
done
sha256sum -c SHA256SUMS

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The token goes to curl in a file, not on its command line.
(umask 077 && printf 'header = "Authorization: Bearer %s"\n' "$GITHUB_TOKEN" >"$tmp/auth")

notes="$tmp/notes.md"
{
  echo "aws-oidc $version: static Linux binaries for x86_64 and arm64 (musl), macOS binaries for Apple silicon and Intel (macOS 11 and later), and aws-oidc.exe for Windows x86_64; each as .tar.zst and .tar.gz (the same tar)."
  echo
  echo "The aws-oidc orb $version pins these SHA-256 sums and checks every download against them."
  echo "To check a download by hand, in its directory: \`sha256sum --check --ignore-missing SHA256SUMS\`."
  echo
  echo '```'
  cat SHA256SUMS
  echo '```'
} >"$notes"

# api METHOD PATH-OR-URL [CURL-ARGS...]: prints the HTTP status; the body is
# left in $tmp/body.
api() {
  method=$1 url=$2
  shift 2
  case $url in
    /*) url=$api_url$url ;;
  esac
  curl -sS -K "$tmp/auth" -X "$method" -o "$tmp/body" -w '%{http_code}' \
    -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' \
    "$@" "$url" || die "cannot reach $url"
}

# api_failed WHAT STATUS [WHAT-TO-DO]
api_failed() {
  message=$(jq -r '.message // empty' "$tmp/body" 2>/dev/null || true)
  case $2 in
    401) todo="GITHUB_TOKEN is not valid: renew it in the aws-oidc-release context" ;;
    403 | 404) todo="GITHUB_TOKEN may not write the releases of $slug: give it contents: write there" ;;
    *) todo=${3:-"rerun this job from failed"} ;;
  esac
  die "$1: GitHub answered HTTP $2${message:+ ($message)}; $todo"
}

# Stops the job when the published release is not this pipeline's.
not_ours() {
  die "the published release $tag is not this pipeline's: $1.
Users download that release through the orb, whose $version must pin exactly its files, so this pipeline must not publish its orb. Instead:
  - if \`circleci orb info $orb@$version\` finds no such version, no orb pins the release yet: delete the release but keep the tag (on $releases_page, or \`gh release delete $tag --repo $slug --yes\`), then rerun this job from failed; it makes the release again from this pipeline's files;
  - if $orb@$version exists, it was published with this release: leave both alone, and release the next version for any change."
}

# The release of this tag: a published one, else a draft a run left behind.
status=$(api GET "/repos/$slug/releases/tags/$tag")
case $status in
  200)
    state=published
    cp "$tmp/body" "$tmp/release.json"
    ;;
  404)
    # Drafts are not found by tag: look for one among the latest releases.
    status=$(api GET "/repos/$slug/releases?per_page=100")
    [ "$status" = 200 ] || api_failed "listing the releases of $slug" "$status"
    jq --arg tag "$tag" '[.[] | select(.draft and .tag_name == $tag)]' "$tmp/body" >"$tmp/drafts.json"
    case $(jq length "$tmp/drafts.json") in
      0) state=none ;;
      1)
        state=draft
        jq '.[0]' "$tmp/drafts.json" >"$tmp/release.json"
        ;;
      *) die "several draft releases of $tag exist (ids $(jq -r 'map(.id) | join(", ")' "$tmp/drafts.json")): delete them on $releases_page (nobody can download a draft), then rerun this job from failed" ;;
    esac
    ;;
  *) api_failed "looking up the release $tag" "$status" ;;
esac

case $state in
  none)
    jq -n --arg tag "$tag" --arg name "aws-oidc $version" --rawfile body "$notes" \
      '{tag_name: $tag, name: $name, body: $body, draft: true}' >"$tmp/create.json"
    status=$(api POST "/repos/$slug/releases" -H 'Content-Type: application/json' --data-binary @"$tmp/create.json")
    [ "$status" = 201 ] || api_failed "creating the draft release $tag" "$status"
    cp "$tmp/body" "$tmp/release.json"
    echo "Created the draft release $tag."
    ;;
  draft)
    echo "A draft release $tag exists: a run stopped before publishing it. Replacing its files with this pipeline's and publishing it."
    ;;
  published)
    echo "The release $tag is already published: checking that its files are this pipeline's."
    for file; do
      jq -e --arg name "$file" 'any(.assets[]; .name == $name and .state == "uploaded")' "$tmp/release.json" >/dev/null ||
        not_ours "it has no $file"
    done
    ;;
esac

if [ "$state" != published ]; then
  id=$(jq -r .id "$tmp/release.json")
  upload_url=$(jq -r '.upload_url | sub("[{].*$"; "")' "$tmp/release.json")
  # A draft's files may be half-uploaded or another pipeline's: all go.
  for asset in $(jq -r '.assets[].id' "$tmp/release.json"); do
    status=$(api DELETE "/repos/$slug/releases/assets/$asset")
    [ "$status" = 204 ] || api_failed "deleting a file of the draft release $tag" "$status"
  done
  for file; do
    status=$(api POST "$upload_url?name=$file" -H 'Content-Type: application/octet-stream' --data-binary @"$file")
    [ "$status" = 201 ] ||
      api_failed "uploading $file to the draft release $tag" "$status" \
        "rerun this job from failed: it takes the draft over and uploads every file again"
  done

  status=$(api GET "/repos/$slug/releases/$id")
  [ "$status" = 200 ] || api_failed "reading back the draft release $tag" "$status"
  for file; do
    size=$(wc -c <"$file" | tr -d ' ')
    jq -e --arg name "$file" --argjson size "$size" \
      'any(.assets[]; .name == $name and .state == "uploaded" and .size == $size)' "$tmp/body" >/dev/null ||
      die "the draft release $tag does not hold $file as uploaded ($size bytes): rerun this job from failed; it uploads every file again"
  done
  jq -e --argjson count "$#" '.assets | length == $count' "$tmp/body" >/dev/null ||
    die "the draft release $tag holds files other than this pipeline's: rerun this job from failed; it replaces them"

  # Published last, with this pipeline's notes (a draft taken over has another's).
  jq -n --arg name "aws-oidc $version" --rawfile body "$notes" \
    '{name: $name, body: $body, draft: false}' >"$tmp/publish.json"
  status=$(api PATCH "/repos/$slug/releases/$id" -H 'Content-Type: application/json' --data-binary @"$tmp/publish.json")
  [ "$status" = 200 ] ||
    api_failed "publishing the draft release $tag" "$status" "rerun this job from failed: it finishes the draft"
  echo "Published the release $tag."
fi

# What a user's job downloads, anonymously, from the URL the orb uses.
downloaded="$tmp/downloaded"
mkdir "$downloaded"
for file; do
  url="$server_url/$slug/releases/download/$tag/$file"
  curl -fsSL --retry 5 --retry-delay 3 -o "$downloaded/$file" "$url" && continue
  [ "$state" = published ] || die "cannot download $url from the release just published: rerun this job from failed; it checks the published release again"
  not_ours "$file cannot be downloaded from it"
done
cmp -s SHA256SUMS "$downloaded/SHA256SUMS" || not_ours "its SHA256SUMS differs from this pipeline's"
(cd "$downloaded" && sha256sum -c --quiet SHA256SUMS) ||
  not_ours "its archives do not match its SHA256SUMS"
echo "Released aws-oidc $version: $releases_page/tag/$tag"
