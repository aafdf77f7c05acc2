import { Logger } from '@nestjs/common';

// Quiet Nest's console logger in tests; DEBUG_LOGS=1 brings it back when a test needs a look.
if (!process.env.DEBUG_LOGS) Logger.overrideLogger(['error']);
