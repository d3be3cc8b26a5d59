'use strict';
require('./storage.suite').defineSuite(2);
