'use strict';
require('./robot-triggers.suite').defineRobotTriggerSuite(2);
