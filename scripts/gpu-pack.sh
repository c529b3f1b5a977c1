#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs to run the Java side on a GPU machine that has no Java or Maven:
# a jlink'd Java runtime, the jar (built here with nvcc on the PATH, so it carries liblrn4j_cuda.so), its
# runtime dependencies except the OpenBLAS peer, the compiled tests and the JUnit console launcher.
# Output: .gpu/ (ignored by git; about 50 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
junit_console=1.11.4
command -v nvcc > /dev/null || { echo "gpu-pack: nvcc must be on the PATH so the jar carries the CUDA kernels" >&2; exit 1; }
mvn -B -q -Dstyle.color=never -DskipTests package
mvn -B -q -Dstyle.color=never dependency:copy \
  -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_console" -DoutputDirectory=target/gpu-junit
rm -rf .gpu && mkdir -p .gpu/lib
jlink --add-modules java.base,java.logging,java.management,java.xml,java.naming,java.scripting,jdk.unsupported,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output .gpu/jre
cp target/lrn4j.jar .gpu/lib/
find target/lib -name '*.jar' ! -name 'openblas*' ! -name 'jmh*' ! -name 'jopt*' ! -name 'commons-math*' \
  -exec cp {} .gpu/lib/ \;
cp "target/gpu-junit/junit-platform-console-standalone-$junit_console.jar" .gpu/junit.jar
cp -r target/test-classes .gpu/test-classes
git check-ignore -q .gpu || echo "gpu-pack: .gpu/ should be ignored (.gitignore)" >&2
du -sh .gpu
