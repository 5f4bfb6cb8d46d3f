"""The two explicit tables: wire ``type`` string → message class, one per direction."""

from types import MappingProxyType
from typing import Final, TypeAlias

from rtvi_actors.protocol import client_messages as c
from rtvi_actors.protocol import function_calls as f
from rtvi_actors.protocol import legacy_messages as legacy
from rtvi_actors.protocol import metrics as m
from rtvi_actors.protocol import server_messages as s
from rtvi_actors.protocol import text_messages as t
from rtvi_actors.protocol import ui

__all__ = ["CLIENT_TYPES", "SERVER_TYPES", "ClientToServer", "ServerToClient"]

ClientToServer: TypeAlias = (
    c.ClientReady
    | c.DisconnectBot
    | c.ClientMessage
    | c.SendText
    | c.SendFile
    | c.LlmFunctionCallResult
    | c.Dtmf
    | c.RawAudio
    | c.RawAudioBatch
    | c.AppendToContext
    | ui.UiEvent
    | ui.UiSnapshot
    | ui.UiCancelJobGroup
    | legacy.DescribeConfig
    | legacy.DescribeActions
    | legacy.GetConfig
    | legacy.UpdateConfig
    | legacy.Action
)
"""Any client → server message payload."""

ServerToClient: TypeAlias = (
    s.BotReady
    | s.Error
    | s.ErrorResponse
    | s.ServerResponse
    | s.ServerMessage
    | s.UserStartedSpeaking
    | s.UserStoppedSpeaking
    | s.VadUserStartedSpeaking
    | s.VadUserStoppedSpeaking
    | s.UserMuteStarted
    | s.UserMuteStopped
    | s.BotStartedSpeaking
    | s.BotStoppedSpeaking
    | s.BotInterrupted
    | s.BotLlmStarted
    | s.BotLlmStopped
    | s.BotTtsStarted
    | s.BotTtsStopped
    | s.UserAudioLevel
    | s.BotAudioLevel
    | s.SystemLog
    | s.BotTtsAudio
    | s.BotLlmSearchResponse
    | t.UserTranscription
    | t.SttRawText
    | t.UserInput
    | t.UserLlmText
    | t.BotLlmText
    | t.LlmRawText
    | t.BotTranscription
    | t.BotTtsText
    | t.TtsRawText
    | t.BotOutput
    | t.BotLlmMarker
    | f.LlmFunctionCallStarted
    | f.LlmFunctionCallInProgress
    | f.LlmFunctionCallStopped
    | f.LlmFunctionCall
    | m.Metrics
    | ui.UiCommand
    | ui.UiJobGroup
    | legacy.ConfigAvailable
    | legacy.ActionsAvailable
    | legacy.Config
    | legacy.ActionResponse
    | legacy.LlmFunctionCallStart
)
"""Any server → client message payload."""

CLIENT_TYPES: Final = MappingProxyType(
    {
        "client-ready": c.ClientReady,
        "disconnect-bot": c.DisconnectBot,
        "client-message": c.ClientMessage,
        "send-text": c.SendText,
        "send-file": c.SendFile,
        "llm-function-call-result": c.LlmFunctionCallResult,
        "dtmf": c.Dtmf,
        "raw-audio": c.RawAudio,
        "raw-audio-batch": c.RawAudioBatch,
        "append-to-context": c.AppendToContext,
        "ui-event": ui.UiEvent,
        "ui-snapshot": ui.UiSnapshot,
        "ui-cancel-job-group": ui.UiCancelJobGroup,
        "describe-config": legacy.DescribeConfig,
        "describe-actions": legacy.DescribeActions,
        "get-config": legacy.GetConfig,
        "update-config": legacy.UpdateConfig,
        "action": legacy.Action,
    }
)
"""Client → server: wire ``type`` → class."""

SERVER_TYPES: Final = MappingProxyType(
    {
        "bot-ready": s.BotReady,
        "error": s.Error,
        "error-response": s.ErrorResponse,
        "server-response": s.ServerResponse,
        "server-message": s.ServerMessage,
        "user-started-speaking": s.UserStartedSpeaking,
        "user-stopped-speaking": s.UserStoppedSpeaking,
        "vad-user-started-speaking": s.VadUserStartedSpeaking,
        "vad-user-stopped-speaking": s.VadUserStoppedSpeaking,
        "user-mute-started": s.UserMuteStarted,
        "user-mute-stopped": s.UserMuteStopped,
        "bot-started-speaking": s.BotStartedSpeaking,
        "bot-stopped-speaking": s.BotStoppedSpeaking,
        "bot-interrupted": s.BotInterrupted,
        "bot-llm-started": s.BotLlmStarted,
        "bot-llm-stopped": s.BotLlmStopped,
        "bot-tts-started": s.BotTtsStarted,
        "bot-tts-stopped": s.BotTtsStopped,
        "user-audio-level": s.UserAudioLevel,
        "bot-audio-level": s.BotAudioLevel,
        "system-log": s.SystemLog,
        "bot-tts-audio": s.BotTtsAudio,
        "bot-llm-search-response": s.BotLlmSearchResponse,
        "user-transcription": t.UserTranscription,
        "stt-raw-text": t.SttRawText,
        "user-input": t.UserInput,
        "user-llm-text": t.UserLlmText,
        "bot-llm-text": t.BotLlmText,
        "llm-raw-text": t.LlmRawText,
        "bot-transcription": t.BotTranscription,
        "bot-tts-text": t.BotTtsText,
        "tts-raw-text": t.TtsRawText,
        "bot-output": t.BotOutput,
        "bot-llm-marker": t.BotLlmMarker,
        "llm-function-call-started": f.LlmFunctionCallStarted,
        "llm-function-call-in-progress": f.LlmFunctionCallInProgress,
        "llm-function-call-stopped": f.LlmFunctionCallStopped,
        "llm-function-call": f.LlmFunctionCall,
        "metrics": m.Metrics,
        "ui-command": ui.UiCommand,
        "ui-job-group": ui.UiJobGroup,
        "config-available": legacy.ConfigAvailable,
        "actions-available": legacy.ActionsAvailable,
        "config": legacy.Config,
        "action-response": legacy.ActionResponse,
        "llm-function-call-start": legacy.LlmFunctionCallStart,
    }
)
"""Server → client: wire ``type`` → class."""
