// See package.json: @keyv/test-suite declares sqlite3 but its store tests never load it.
throw new Error('sqlite3 is stubbed out in this repository (see the overrides in package.json)');
