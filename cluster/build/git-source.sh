#!/usr/bin/env bash
# The source tree of one tag of a public git repository that no package registry serves, extracted into the cache
# outside the clone and printed (last line of stdout):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks/src/<name>-<tag>/
# The repository comes from $<NAME>_SOURCE (a path or URL; NAME upper-cased, `-` as `_`), else the cache's
# src/<name>.git, else a bare clone of URL. Files named in EXCLUDE (git pathspec globs, space-separated) are left
# out: some source snapshots lack a vendored file the build replaces (Fluent Bit's SQLite amalgamation).
#   usage: git-source.sh [--check] NAME URL TAG
#   --check: exit 0 when the tree or a repository with the tag is at hand, else 3 saying what is missing and how
#   to get it. Exit 3 the same way when neither the repository nor a clone of URL has the tag.
set -euo pipefail
check=0
if [[ $1 == --check ]]; then check=1; shift; fi
name=$1 url=$2 tag=$3
cache="${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks"
tree="$cache/src/$name-$tag"
found() { echo "$1" >&2; echo "$tree"; exit 0; }
[[ -f "$tree/.extracted" ]] && found "source: $tree"
var="$(echo "$name" | tr 'a-z-' 'A-Z_')_SOURCE"
source=${!var:-$cache/src/$name.git}
has_tag() { git --git-dir="$1" rev-parse -q --verify "$tag^{commit}" >/dev/null 2>&1 || git -C "$1" rev-parse -q --verify "$tag^{commit}" >/dev/null 2>&1; }
if ! has_tag "$source"; then
  if [[ $check == 0 && -z "${!var:-}" ]] && mkdir -p "$cache/src" && rm -rf "$cache/src/$name.git.tmp" &&
     timeout 600 git clone --quiet --bare "$url" "$cache/src/$name.git.tmp" 2>/dev/null && has_tag "$cache/src/$name.git.tmp"; then
    rm -rf "$source" && mv "$cache/src/$name.git.tmp" "$source"
  else
    echo "git-source.sh: no $name source with tag $tag: clone $url (git clone --bare) into $cache/src/$name.git," \
      "or set $var to a clone that has the tag" >&2
    exit 3
  fi
fi
[[ $check == 1 ]] && found "source at hand: $source ($tag)"
gitdir=$(git -C "$source" rev-parse --absolute-git-dir 2>/dev/null || echo "$source")
mkdir -p "$cache/src"
exec 9>"$tree.lock"
flock 9
[[ -f "$tree/.extracted" ]] && found "source: $tree"
rm -rf "$tree" && mkdir -p "$tree"
# git archive reads every blob of the tree it is given: without exclusions the tag's tree, else one written without them.
export GIT_INDEX_FILE=$tree.index
git --git-dir="$gitdir" read-tree "$tag"
for pattern in ${EXCLUDE:-}; do
  git --git-dir="$gitdir" ls-tree -r -z --name-only "$tag" | grep -z -E "^${pattern}$" |
    xargs -0 -r git --git-dir="$gitdir" --work-tree="$tree" update-index --force-remove --
done
treeish=$(git --git-dir="$gitdir" write-tree)
unset GIT_INDEX_FILE
rm -f "$tree.index"
git --git-dir="$gitdir" archive --format=tar "$treeish" | tar -x -C "$tree"
touch "$tree/.extracted"
found "extracted $name $tag into $tree"
