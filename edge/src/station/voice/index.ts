export { CommandAudioSink, FakeAudioSink, type AudioSink, type Sound, type CommandAudioSinkOptions } from './audio-sink.js';
export { EspeakTts, OpenJTalkTts, VoicevoxTts, type Tts, type VoiceLanguage } from './tts.js';
export { Voice, chooseBand, createTts, type VoiceConfig, type VoiceBand, type VoiceLine, type VoiceMessage } from './voice.js';
export { MotionVoice, type MotionVoiceOutcome, type MotionVoiceSkip, type MotionVoiceStats } from './motion-voice.js';
