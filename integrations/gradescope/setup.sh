#!/usr/bin/env bash
# Gradescope's image build: installs pit-runner from the autograder ZIP's pit-runner/ folder (a copy of this
# repository, PITs included), with the JDK, Maven, pytest and the rest its setup installs.
set -euo pipefail
cd /autograder/source/pit-runner
command -v node >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
npm run setup
