@echo off
rem `ferry` from the Windows package: add this folder to PATH (docs/packaging.md); runs ferry.mjs beside it with the Node.js on the PATH.
node "%~dp0ferry.mjs" %*
