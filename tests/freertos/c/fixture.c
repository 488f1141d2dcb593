/* The fixture's C side: what the Rust tests need from FreeRTOS and the platform, each a
 * line or two: tasks, delays, a clock fine enough for the benchmark, printing and exiting,
 * FreeRTOS's own mutex and semaphore (the benchmark's peers), and the hooks FreeRTOS calls. */
#include <stddef.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"
#include "semphr.h"

#if FIXTURE_CORTEX_M
/* ---- mps2-an385 under QEMU: semihosting for output and exit, SysTick for time ---- */

static int prvSemihost( int iOp, void * pvArg )
{
    register int r0 __asm__( "r0" ) = iOp;
    register void * r1 __asm__( "r1" ) = pvArg;

    __asm volatile ( "bkpt 0xAB" : "+r" ( r0 ) : "r" ( r1 ) : "memory" );
    return r0;
}

static void prvWrite( const char * pcText, size_t xLength )
{
    static int iConsole = -1;

    if( iConsole < 0 )
    {
        /* SYS_OPEN of ":tt" for writing (mode 4): the host's console. */
        uint32_t ulOpen[ 3 ] = { ( uint32_t ) ":tt", 4, 3 };
        iConsole = prvSemihost( 0x01, ulOpen );
    }

    uint32_t ulArgs[ 3 ] = { ( uint32_t ) iConsole, ( uint32_t ) pcText, ( uint32_t ) xLength };
    ( void ) prvSemihost( 0x05, ulArgs ); /* SYS_WRITE */
}

void fixture_exit( int iCode )
{
    /* SYS_EXIT: ApplicationExit (QEMU exits 0) or RunTimeErrorUnknown (QEMU exits 1). */
    ( void ) prvSemihost( 0x18, ( void * ) ( iCode == 0 ? 0x20026 : 0x20023 ) );

    for( ; ; )
    {
    }
}

#define portNVIC_SYSTICK_CURRENT_VALUE_REG    ( *( ( volatile uint32_t * ) 0xe000e018 ) )
#define portNVIC_SYSTICK_LOAD_REG             ( *( ( volatile uint32_t * ) 0xe000e014 ) )

/* Nanoseconds of the core clock: the tick count and how far SysTick has counted down into
 * the current tick, read again if a tick came in between. Under `-icount`, QEMU's time is
 * its instruction count, so this counts instructions (at a fixed rate). */
uint64_t fixture_now_ns( void )
{
    TickType_t xTicks;
    uint32_t ulCountDown;
    uint32_t ulReload = portNVIC_SYSTICK_LOAD_REG + 1;

    do
    {
        xTicks = xTaskGetTickCount();
        ulCountDown = portNVIC_SYSTICK_CURRENT_VALUE_REG;
    } while( xTicks != xTaskGetTickCount() );

    uint64_t ullCycles = ( ( uint64_t ) xTicks * ulReload ) + ( ulReload - 1 - ulCountDown );
    return ( ullCycles * 1000000000ull ) / configCPU_CLOCK_HZ;
}

/* CMSDK APB timer 0 of the mps2-an385 (IRQ 8), counting down at the 25 MHz peripheral
 * clock: an interrupt of the board's own, besides the tick. */
#define fixtureTIMER_CTRL        ( *( ( volatile uint32_t * ) 0x40000000 ) )
#define fixtureTIMER_VALUE       ( *( ( volatile uint32_t * ) 0x40000004 ) )
#define fixtureTIMER_RELOAD      ( *( ( volatile uint32_t * ) 0x40000008 ) )
#define fixtureTIMER_INTCLEAR    ( *( ( volatile uint32_t * ) 0x4000000c ) )
#define fixtureNVIC_ISER0        ( *( ( volatile uint32_t * ) 0xe000e100 ) )
#define fixtureNVIC_IPR_IRQ8     ( *( ( volatile uint8_t * ) 0xe000e408 ) )
#define fixtureTIMER_IRQ         8

/* Fires IRQ 8 once, `ulMicroseconds` from now, at a priority that may call FreeRTOS. */
void fixture_timer_once( uint32_t ulMicroseconds )
{
    fixtureTIMER_CTRL = 0;
    fixtureNVIC_IPR_IRQ8 = 0xc0; /* below configMAX_SYSCALL_INTERRUPT_PRIORITY (0xa0) */
    fixtureTIMER_RELOAD = ulMicroseconds * 25;
    fixtureTIMER_VALUE = ulMicroseconds * 25;
    fixtureTIMER_INTCLEAR = 1;
    fixtureNVIC_ISER0 = 1U << fixtureTIMER_IRQ;
    fixtureTIMER_CTRL = 0x9; /* enable, interrupt enable */
}

/* From the handler: stops the timer and clears its interrupt. */
void fixture_timer_ack( void )
{
    fixtureTIMER_CTRL = 0;
    fixtureTIMER_INTCLEAR = 1;
}

#else /* ---- the POSIX port: a Linux process ---- */

#include <time.h>
#include <unistd.h>

volatile int fixture_in_tick_hook = 0;

static void prvWrite( const char * pcText, size_t xLength )
{
    while( xLength > 0 )
    {
        ssize_t xDone = write( 1, pcText, xLength );

        if( xDone <= 0 )
        {
            return;
        }

        pcText += xDone;
        xLength -= ( size_t ) xDone;
    }
}

void fixture_exit( int iCode )
{
    _exit( iCode );
}

uint64_t fixture_now_ns( void )
{
    struct timespec xNow;

    clock_gettime( CLOCK_MONOTONIC, &xNow );
    return ( ( uint64_t ) xNow.tv_sec * 1000000000ull ) + ( uint64_t ) xNow.tv_nsec;
}

#endif /* if FIXTURE_CORTEX_M */

/* Whole lines, never interleaved: written inside a critical section, so that no task is
 * switched out while it holds the output (on the POSIX port a task preempted inside
 * `write` could otherwise stall another on the C library's lock). */
void fixture_print( const char * pcText,
                    size_t xLength )
{
    taskENTER_CRITICAL();
    prvWrite( pcText, xLength );
    taskEXIT_CRITICAL();
}

/* ---- tasks ---- */

typedef struct
{
    void ( * pxFunction )( uintptr_t );
    uintptr_t uxArgument;
} Job_t;

static void prvTrampoline( void * pvJob )
{
    Job_t xJob = *( Job_t * ) pvJob;

    vPortFree( pvJob );
    xJob.pxFunction( xJob.uxArgument );
    vTaskDelete( NULL );
}

#if FIXTURE_CORTEX_M
    #define fixtureSTACK_WORDS    1024
#else
    #define fixtureSTACK_WORDS    configMINIMAL_STACK_SIZE
#endif

/* Starts `pxFunction( uxArgument )` in a new task; the task ends when the function returns. */
void fixture_spawn( void ( * pxFunction )( uintptr_t ),
                    uintptr_t uxArgument,
                    uint32_t ulPriority )
{
    Job_t * pxJob = pvPortMalloc( sizeof( Job_t ) );

    configASSERT( pxJob != NULL );
    pxJob->pxFunction = pxFunction;
    pxJob->uxArgument = uxArgument;
    configASSERT( xTaskCreate( prvTrampoline, "test", fixtureSTACK_WORDS, pxJob, ( UBaseType_t ) ulPriority, NULL ) == pdPASS );
}

void fixture_start( void )
{
    vTaskStartScheduler();
}

void fixture_delay_ms( uint32_t ulMilliseconds )
{
    vTaskDelay( pdMS_TO_TICKS( ulMilliseconds ) );
}

void fixture_yield( void )
{
    taskYIELD();
}

void fixture_set_priority( uint32_t ulPriority )
{
    vTaskPrioritySet( NULL, ( UBaseType_t ) ulPriority );
}

void * fixture_current_task( void )
{
    return ( void * ) xTaskGetCurrentTaskHandle();
}

/* A notification at the futex's index (the last) that no `set` gave: the backend must take
 * it for what it is, a wake-up to look again, not the end of a wait. */
void fixture_stray_notify_from_isr( void * pvTask )
{
    vTaskNotifyGiveIndexedFromISR( ( TaskHandle_t ) pvTask, configTASK_NOTIFICATION_ARRAY_ENTRIES - 1, NULL );
}

void fixture_stray_notify( void * pvTask )
{
    ( void ) xTaskNotifyGiveIndexed( ( TaskHandle_t ) pvTask, configTASK_NOTIFICATION_ARRAY_ENTRIES - 1 );
}

/* ---- FreeRTOS's own mutex and counting semaphore, the benchmark's peers ---- */

void * fixture_mutex_new( void )
{
    return ( void * ) xSemaphoreCreateMutex();
}

void * fixture_semaphore_new( uint32_t ulInitial )
{
    return ( void * ) xSemaphoreCreateCounting( 0x7fffffff, ulInitial );
}

void fixture_take( void * pvSemaphore )
{
    configASSERT( xSemaphoreTake( ( SemaphoreHandle_t ) pvSemaphore, portMAX_DELAY ) == pdTRUE );
}

void fixture_give( void * pvSemaphore )
{
    ( void ) xSemaphoreGive( ( SemaphoreHandle_t ) pvSemaphore );
}

/* ---- hooks ---- */

extern void fixture_tick( void ); /* Rust: what the tests do in the timer interrupt. */

void vApplicationTickHook( void )
{
#if !FIXTURE_CORTEX_M
    fixture_in_tick_hook = 1;
#endif
    fixture_tick();
#if !FIXTURE_CORTEX_M
    fixture_in_tick_hook = 0;
#endif
}

static void prvDie( const char * pcWhat )
{
    taskDISABLE_INTERRUPTS();
    prvWrite( pcWhat, __builtin_strlen( pcWhat ) );
    fixture_exit( 1 );
}

void vAssertCalled( const char * pcFile,
                    unsigned long ulLine )
{
    ( void ) ulLine;
    prvWrite( "FreeRTOS assertion failed in ", 29 );
    prvDie( pcFile );
}

void vApplicationMallocFailedHook( void )
{
    prvDie( "FreeRTOS heap exhausted\n" );
}

void vApplicationStackOverflowHook( TaskHandle_t xTask,
                                    char * pcTaskName )
{
    ( void ) xTask;
    ( void ) pcTaskName;
    prvDie( "FreeRTOS task stack overflow\n" );
}
