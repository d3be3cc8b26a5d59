'use strict';
require('./upload-robot.suite').defineSuite(1);
