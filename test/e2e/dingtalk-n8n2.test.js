'use strict';
require('./dingtalk.suite').defineSuite(2);
