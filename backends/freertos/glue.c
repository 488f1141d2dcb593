/*
 * portable-futex's FreeRTOS glue: compile this file with your FreeRTOS build (the same
 * compiler, include paths and FreeRTOSConfig.h as the kernel). The Rust side,
 * `portable_futex::backend::freertos`, calls only the functions below, each a line or two
 * around FreeRTOS's own API: what FreeRTOS provides as macros (critical sections, the
 * interrupt-context variants, the yield an interrupt asks for) and types whose width depends
 * on the port and the configuration (TickType_t, BaseType_t, TimeOut_t) stay on this side, and
 * the Rust side sees only fixed-width integers and pointers.
 *
 * Configuration (in FreeRTOSConfig.h; on Cortex-M all optional):
 *   portable_futexNOTIFY_INDEX   the task-notification index the futex reserves; by default
 *                                the last one (configTASK_NOTIFICATION_ARRAY_ENTRIES - 1), so
 *                                index 0, the one ulTaskNotifyTake() and stream buffers use,
 *                                stays the application's.
 *   portable_futexIN_ISR()       non-zero when running in an interrupt handler; by default the
 *                                IPSR register on Cortex-M. Other ports must define it (on the
 *                                POSIX simulator the only interrupt is the tick: a flag the
 *                                tick hook sets, or 0 if nothing wakes from it).
 *   portable_futexYIELD_FROM_ISR(x)  the switch an interrupt asks for when it woke a task of a
 *                                higher priority: portYIELD_FROM_ISR(x) on Cortex-M; other
 *                                ports must define it (on the POSIX simulator ((void)(x)):
 *                                its tick handler switches by itself when a wake is pending).
 *
 * Not supported: the MPU ports (portUSING_MPU_WRAPPERS), whose unprivileged tasks may not
 * mask interrupts. Untested: SMP builds (configNUMBER_OF_CORES > 1), though every lock here
 * is the kernel's own, which takes its cross-core lock there.
 *
 * Every requirement is checked here, at compile time, with the fix in the message.
 */

#include "FreeRTOS.h"
#include "task.h"

#include <stdint.h>

#if ( configUSE_TASK_NOTIFICATIONS != 1 )
    #error "portable-futex: the FreeRTOS backend sleeps on task notifications: set configUSE_TASK_NOTIFICATIONS to 1 in FreeRTOSConfig.h"
#endif

#ifndef portable_futexNOTIFY_INDEX
    #if ( configTASK_NOTIFICATION_ARRAY_ENTRIES < 2 )
        #error "portable-futex: the FreeRTOS backend reserves a task-notification index of its own: set configTASK_NOTIFICATION_ARRAY_ENTRIES to 2 or more (it takes the last), or name the index it may use with portable_futexNOTIFY_INDEX"
    #endif
    #define portable_futexNOTIFY_INDEX    ( configTASK_NOTIFICATION_ARRAY_ENTRIES - 1 )
#endif

#if ( portable_futexNOTIFY_INDEX < 0 ) || ( portable_futexNOTIFY_INDEX >= configTASK_NOTIFICATION_ARRAY_ENTRIES )
    #error "portable-futex: portable_futexNOTIFY_INDEX must be below configTASK_NOTIFICATION_ARRAY_ENTRIES"
#endif

#if ( INCLUDE_xTaskGetCurrentTaskHandle != 1 ) && ( configUSE_RECURSIVE_MUTEXES != 1 ) && ( configNUMBER_OF_CORES == 1 )
    #error "portable-futex: a waiter names its task: set INCLUDE_xTaskGetCurrentTaskHandle to 1 in FreeRTOSConfig.h"
#endif

#if ( INCLUDE_uxTaskPriorityGet != 1 )
    #error "portable-futex: waiters are woken by task priority: set INCLUDE_uxTaskPriorityGet to 1 in FreeRTOSConfig.h"
#endif

#if ( INCLUDE_xTaskGetSchedulerState != 1 ) && ( configUSE_TIMERS != 1 )
    #error "portable-futex: a wait checks that the scheduler runs: set INCLUDE_xTaskGetSchedulerState to 1 in FreeRTOSConfig.h"
#endif

#if defined( __ARM_ARCH_6M__ ) || defined( __ARM_ARCH_7M__ ) || defined( __ARM_ARCH_7EM__ ) || \
    defined( __ARM_ARCH_8M_BASE__ ) || defined( __ARM_ARCH_8M_MAIN__ ) || defined( __ARM_ARCH_8_1M_MAIN__ )
    #define portable_futexCORTEX_M    1
#else
    #define portable_futexCORTEX_M    0
#endif

#ifndef portable_futexIN_ISR
    #if portable_futexCORTEX_M
        /* Cortex-M: IPSR holds the number of the exception being handled, 0 in thread mode. */
        static inline uint32_t prvPortableFutexIpsr( void )
        {
            uint32_t ulIpsr;

            __asm volatile ( "mrs %0, ipsr" : "=r" ( ulIpsr ) :: "memory" );
            return ulIpsr;
        }
        #define portable_futexIN_ISR()    ( prvPortableFutexIpsr() != 0 )
    #else
        #error "portable-futex: cannot tell an interrupt handler from a task on this port: define portable_futexIN_ISR() in FreeRTOSConfig.h (see backends/freertos/glue.c)"
    #endif
#endif

#ifndef portable_futexYIELD_FROM_ISR
    #if portable_futexCORTEX_M
        #define portable_futexYIELD_FROM_ISR( x )    portYIELD_FROM_ISR( x )
    #else
        /* What an interrupt is, and how it switches, differ by port (the POSIX simulator's
         * portYIELD_FROM_ISR would switch threads inside its tick's signal handler). */
        #error "portable-futex: on this port, define portable_futexYIELD_FROM_ISR(x) in FreeRTOSConfig.h beside portable_futexIN_ISR(): portYIELD_FROM_ISR(x) where interrupt handlers may switch, ((void)(x)) on the POSIX simulator, whose tick switches by itself (see backends/freertos/glue.c)"
    #endif
#endif

#if ( portUSING_MPU_WRAPPERS == 1 )
    /* An unprivileged task cannot mask interrupts, nor call the FromISR functions, which the
     * lock does on Cortex-M. */
    #error "portable-futex: the FreeRTOS backend does not support the MPU ports (portUSING_MPU_WRAPPERS) yet"
#endif

/* The Rust side keeps a TimeOut_t in 32 bytes aligned to 8. */
_Static_assert( sizeof( TimeOut_t ) <= 32, "portable-futex: TimeOut_t is larger than the Rust side's buffer" );
_Static_assert( _Alignof( TimeOut_t ) <= 8, "portable-futex: TimeOut_t is aligned more than the Rust side's buffer" );

/* What the Rust side needs to know, read once per wait. */
const struct
{
    uint32_t ulTickRateHz;
    uint32_t ulTickBits;
    uint32_t ulNotifyIndex;
} portable_futex_freertos_facts =
{
    configTICK_RATE_HZ,
    sizeof( TickType_t ) * 8,
    portable_futexNOTIFY_INDEX,
};

/* The calling task and its priority, or NULL where a wait cannot block: in an interrupt
 * handler, before the scheduler started, or while it is suspended (vTaskSuspendAll). */
void * portable_futex_freertos_current( uint32_t * pulPriority )
{
    if( portable_futexIN_ISR() || ( xTaskGetSchedulerState() != taskSCHEDULER_RUNNING ) )
    {
        return NULL;
    }

    #if portable_futexCORTEX_M
        /* The same read under the inline interrupt mask rather than a critical-section call:
         * valid from a task on these ports. */
        *pulPriority = ( uint32_t ) uxTaskPriorityGetFromISR( NULL );
    #else
        *pulPriority = ( uint32_t ) uxTaskPriorityGet( NULL );
    #endif
    return ( void * ) xTaskGetCurrentTaskHandle();
}

/*
 * The lock: the bucket lock, and what `set` holds while it publishes a wake and notifies.
 *
 * On Cortex-M it is the interrupt-mask form, from tasks and interrupts alike: it masks every
 * interrupt that may call FreeRTOS, the tick and PendSV (so no task switch) with them, and
 * restores the mask it found, inline; taskENTER_CRITICAL is a call that keeps a nesting count,
 * and a FreeRTOS call nested in it could not be one that unmasks on its way out. So inside,
 * the task is notified with the FromISR call (which saves and restores the mask), and the
 * switch it may ask for is made after `unlock` (PendSV, the same from a task or an interrupt).
 *
 * On other ports (the POSIX simulator's mask form is a no-op outside its signal handler):
 * from a task, taskENTER_CRITICAL, with the task-level notification nested in it; from an
 * interrupt, the mask form and the FromISR notification. The token says which.
 */
#define portable_futexFROM_ISR    ( ( uintptr_t ) 1U )

uintptr_t portable_futex_freertos_lock( void )
{
#if portable_futexCORTEX_M
    return ( ( uintptr_t ) taskENTER_CRITICAL_FROM_ISR() << 1 ) | portable_futexFROM_ISR;
#else
    if( portable_futexIN_ISR() )
    {
        return ( ( uintptr_t ) taskENTER_CRITICAL_FROM_ISR() << 1 ) | portable_futexFROM_ISR;
    }

    taskENTER_CRITICAL();
    return 0;
#endif
}

void portable_futex_freertos_unlock( uintptr_t uxToken )
{
    if( ( uxToken & portable_futexFROM_ISR ) != 0 )
    {
        taskEXIT_CRITICAL_FROM_ISR( ( UBaseType_t ) ( uxToken >> 1 ) );
    }
    else
    {
        taskEXIT_CRITICAL();
    }
}

/* Gives `pvTask` its notification, under the lock of `uxToken`; non-zero when a switch to it
 * is due (it outranks the running task), to be made by `portable_futex_freertos_switch` once
 * the lock is released. */
uint32_t portable_futex_freertos_notify( void * pvTask,
                                         uintptr_t uxToken )
{
    BaseType_t xWoken = pdFALSE;

    if( ( uxToken & portable_futexFROM_ISR ) != 0 )
    {
        vTaskNotifyGiveIndexedFromISR( ( TaskHandle_t ) pvTask, portable_futexNOTIFY_INDEX, &xWoken );
    }
    else
    {
        /* Task level: the notification switches itself when the critical section ends. */
        ( void ) xTaskNotifyGiveIndexed( ( TaskHandle_t ) pvTask, portable_futexNOTIFY_INDEX );
    }

    return ( xWoken != pdFALSE ) ? 1 : 0;
}

/* Makes the switch a FromISR notification asked for: portYIELD_FROM_ISR in an interrupt; from
 * a task (Cortex-M only), portYIELD, the same PendSV. */
void portable_futex_freertos_switch( uint32_t ulWoken )
{
    if( ulWoken == 0 )
    {
        return;
    }

    if( portable_futexIN_ISR() )
    {
        BaseType_t xWoken = pdTRUE;

        portable_futexYIELD_FROM_ISR( xWoken );
        ( void ) xWoken;
    }
    else
    {
        /* A task-level notification switches only under preemption: so does this. */
        #if ( configUSE_PREEMPTION == 1 )
            portYIELD();
        #endif
    }
}

/* Around the notifications of several waiters from a task: the scheduler suspended, so that
 * no woken task runs before all are notified; resuming makes the switch if one is due.
 * Non-zero if it suspended (not in an interrupt, whose switch waits for its end anyway). */
uint32_t portable_futex_freertos_hold_switches( void )
{
    if( portable_futexIN_ISR() )
    {
        return 0;
    }

    vTaskSuspendAll();
    return 1;
}

void portable_futex_freertos_release_switches( void )
{
    ( void ) xTaskResumeAll();
}

/* Sleeps on the reserved notification for at most `ullTicks` ticks (UINT64_MAX: no limit),
 * and clears it. Ticks beyond what TickType_t holds are no limit either, never a shorter
 * wait: portMAX_DELAY is the longest (forever when INCLUDE_vTaskSuspend is 1). */
void portable_futex_freertos_take( uint64_t ullTicks )
{
    TickType_t xTicks = ( ullTicks >= ( uint64_t ) portMAX_DELAY ) ? portMAX_DELAY : ( TickType_t ) ullTicks;

    ( void ) ulTaskNotifyTakeIndexed( portable_futexNOTIFY_INDEX, pdTRUE, xTicks );
}

void portable_futex_freertos_timeout_start( void * pvTimeOut )
{
    vTaskSetTimeOutState( ( TimeOut_t * ) pvTimeOut );
}

/* Non-zero once the time has passed; else `*pullTicksLeft` becomes what is left, and the
 * timeout restarts from now (xTaskCheckForTimeOut's contract). A wait as long as
 * portMAX_DELAY or longer never passes. Nor does an aborted delay (xTaskAbortDelay, perhaps
 * left over from another blocking call), which xTaskCheckForTimeOut reports as passed with
 * the ticks left untouched: only a count run down to 0 is the time passing. */
uint32_t portable_futex_freertos_timeout_check( void * pvTimeOut,
                                                uint64_t * pullTicksLeft )
{
    if( *pullTicksLeft >= ( uint64_t ) portMAX_DELAY )
    {
        return 0;
    }

    TickType_t xLeft = ( TickType_t ) *pullTicksLeft;
    BaseType_t xPassed = xTaskCheckForTimeOut( ( TimeOut_t * ) pvTimeOut, &xLeft );

    *pullTicksLeft = ( uint64_t ) xLeft;
    return ( ( xPassed != pdFALSE ) && ( xLeft == 0 ) ) ? 1 : 0;
}

/* The tick count, extended past its wraps with the kernel's count of them. */
uint64_t portable_futex_freertos_ticks( void )
{
    TimeOut_t xNow;

    if( portable_futexIN_ISR() )
    {
        UBaseType_t uxMask = taskENTER_CRITICAL_FROM_ISR();
        vTaskInternalSetTimeOutState( &xNow );
        taskEXIT_CRITICAL_FROM_ISR( uxMask );
    }
    else
    {
        vTaskSetTimeOutState( &xNow );
    }

    /* One wrap of the tick count, in ticks (none for a 64-bit count). */
    const uint64_t ullWrap = ( sizeof( TickType_t ) >= sizeof( uint64_t ) ) ? 0 : ( ( uint64_t ) 1 << ( ( sizeof( TickType_t ) * 8 ) % 64 ) );

    /* The count of wraps as the unsigned type of its width: a signed BaseType_t of 8 or 16
     * bits would sign-extend. */
    return ( ullWrap * ( uint64_t ) ( UBaseType_t ) xNow.xOverflowCount ) + ( uint64_t ) xNow.xTimeOnEntering;
}

/* Offers the processor to another ready task of the same priority; 0 in an interrupt. */
uint32_t portable_futex_freertos_yield( void )
{
    if( portable_futexIN_ISR() )
    {
        return 0;
    }

    taskYIELD();
    return 1;
}
