/** scarec's version, printed by --version and put in every JSON output (a test keeps it equal to package.json's). */
export const SCAREC_VERSION = '0.1.0';
